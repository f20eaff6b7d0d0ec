-- Back to one node's schema: idle nodes are no longer woken, pacing is per process again.
DROP TRIGGER IF EXISTS notifications_queue_new_work ON notifications_queue;
DROP FUNCTION IF EXISTS notifyd_notify_new_work();
DROP TABLE IF EXISTS recipient_last_sends;
DROP TABLE IF EXISTS send_pacing;
