-- Templates in several languages, the quiet-hours flag, and free-text messages.

-- A template flagged quiet_hours waits in the queue while settings.quiet_hours says it is night
-- where the customer is; by default only the two reminders are.
ALTER TABLE notification_templates ADD COLUMN quiet_hours INTEGER NOT NULL DEFAULT 0
    CHECK (quiet_hours IN (0, 1));
UPDATE notification_templates SET quiet_hours = 1 WHERE name IN ('delivery_reminder', 'payment_reminder');

-- One body per language: MyOperator approves a template per language under the same name, and a
-- message names the one it wants with "language". The template's own (language, body) is its
-- default variant and is kept here too, so that this table lists every language.
CREATE TABLE notification_template_variants (
    template_name TEXT NOT NULL REFERENCES notification_templates (name),
    language      TEXT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (template_name, language)
) WITHOUT ROWID;

-- The default variant as it stands (en for the ten as seeded, whatever an admin made it since).
INSERT INTO notification_template_variants (template_name, language, body)
SELECT name, language, body FROM notification_templates;

-- Hindi for the ten. Same placeholders as the English bodies; the parameters sent are the same
-- in every language. A template whose default is already hi keeps its own text.
INSERT INTO notification_template_variants (template_name, language, body)
VALUES
    ('welcome', 'hi',
     'स्वागत है, {{customer_name}} जी! अब ताज़ा दूध और रोज़ का किराना हर सुबह आपके दरवाज़े पर पहुँचेगा।'),
    ('order_confirmation', 'hi',
     'नमस्ते {{customer_name}} जी, आपका ऑर्डर {{order_id}} {{delivery_date}} के लिए पक्का हो गया है। राशि: ₹{{amount}}।'),
    ('delivery_reminder', 'hi',
     'नमस्ते {{customer_name}} जी, {{area}} में आपकी {{delivery_date}} की डिलीवरी रास्ते में है।'),
    ('delivery_completed', 'hi',
     'नमस्ते {{customer_name}} जी, आपकी {{delivery_date}} की डिलीवरी आपके दरवाज़े पर रख दी गई है। धन्यवाद!'),
    ('delivery_missed', 'hi',
     'नमस्ते {{customer_name}} जी, माफ़ कीजिए, {{delivery_date}} को डिलीवरी नहीं हो पाई: {{reason}}। नया समय तय करने के लिए यहीं जवाब दें।'),
    ('subscription_created', 'hi',
     'नमस्ते {{customer_name}} जी, आपका {{plan}} सब्सक्रिप्शन शुरू हो गया है। पहली डिलीवरी {{start_date}} को आएगी।'),
    ('subscription_paused', 'hi',
     'नमस्ते {{customer_name}} जी, आपकी डिलीवरी {{pause_from}} से {{pause_until}} तक रोक दी गई है।'),
    ('subscription_resumed', 'hi',
     'फिर से स्वागत है, {{customer_name}} जी! आपकी डिलीवरी {{resume_date}} से दोबारा शुरू होगी।'),
    ('payment_received', 'hi',
     'नमस्ते {{customer_name}} जी, ₹{{amount}} का आपका भुगतान मिल गया है (संदर्भ: {{payment_id}})। धन्यवाद!'),
    ('payment_reminder', 'hi',
     'नमस्ते {{customer_name}} जी, ₹{{amount_due}} का भुगतान {{due_date}} तक करना है। डिलीवरी बिना रुकावट जारी रखने के लिए कृपया समय पर भुगतान करें।')
ON CONFLICT (template_name, language) DO NOTHING;

-- A free-text message (a help text answering a customer inside the 24-hour window) is sent as
-- data.type "text" with this body and no template; NULL for a template message.
ALTER TABLE notifications_log ADD COLUMN text_body TEXT;
