-- Undoes 0011: the rupee sign goes back before {{amount}} and {{amount_due}} in the three bodies
-- that carried it, seeded or edited (a body edited to have none gets one too).
UPDATE notification_templates SET body = replace(replace(body, '{{amount}}', '₹{{amount}}'), '{{amount_due}}', '₹{{amount_due}}')
WHERE name IN ('order_confirmation', 'payment_received', 'payment_reminder');
UPDATE notification_template_variants
SET body = replace(replace(body, '{{amount}}', '₹{{amount}}'), '{{amount_due}}', '₹{{amount_due}}')
WHERE template_name IN ('order_confirmation', 'payment_received', 'payment_reminder');
