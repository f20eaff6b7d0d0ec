-- Undoes 0010. Lost: the templates' other languages (each template keeps its default language and
-- body), the quiet-hours flags, and the text of free-text messages (the messages stay).
ALTER TABLE notifications_log DROP COLUMN text_body;
DROP TABLE notification_template_variants;
ALTER TABLE notification_templates DROP COLUMN quiet_hours;
