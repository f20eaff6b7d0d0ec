-- Amounts reach templates already written as people in India read them ("₹1,02,500.50": the
-- lakh grouping cannot be done by a template), so the bodies no longer put a rupee sign before
-- {{amount}} and {{amount_due}}: it would show twice. Only that sign goes; the rest of a body,
-- seeded or edited, stays as it is.
UPDATE notification_templates SET body = replace(replace(body, '₹{{amount}}', '{{amount}}'), '₹{{amount_due}}', '{{amount_due}}')
WHERE name IN ('order_confirmation', 'payment_received', 'payment_reminder');
UPDATE notification_template_variants
SET body = replace(replace(body, '₹{{amount}}', '{{amount}}'), '₹{{amount_due}}', '{{amount_due}}')
WHERE template_name IN ('order_confirmation', 'payment_received', 'payment_reminder');
