-- The price table for the estimated spend (settings.message_prices): category -> price of one
-- delivered message in ten-thousandths of a rupee, as a JSON object. MyOperator's prices for India.
ALTER TABLE notification_settings ADD COLUMN message_prices TEXT NOT NULL
    DEFAULT '{"authentication":1300,"marketing":8600,"service":0,"utility":1300}';
