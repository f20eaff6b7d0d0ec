-- Undoes 0002. Lost: the webhook events received, the messages' status reports and the opt-outs.
DROP TABLE message_status_events;
DROP TABLE webhook_events;
DROP TABLE opt_outs;
