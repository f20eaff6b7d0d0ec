-- Undoes 0012: the price table goes (its values with it).
ALTER TABLE notification_settings DROP COLUMN message_prices;
