-- Customer events are numbered max(seq) + 1 under the write lock (src/db/pg.ts, WRITE_LOCK), so
-- that seq is strictly increasing in commit order with no gaps, as on SQLite: an identity takes its
-- number at insert (concurrent transactions would commit out of order) and loses it on rollback.
-- The lock is taken here too, so that a write outside the app's transactions cannot break the order.
CREATE FUNCTION customer_events_next_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(8000002);
  NEW.seq := (SELECT coalesce(max(seq), 0) + 1 FROM customer_events);
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER customer_events_seq BEFORE INSERT ON customer_events FOR EACH ROW EXECUTE FUNCTION customer_events_next_seq();
