-- placewatch schema 22: a referred item is its team's.
--
-- Referring an item now also assigns it to the team it was referred to
-- (store::referrals; its owner stays), so the inbox's team filter finds
-- what a team was handed, and the Reports page's "referred per team"
-- figures and their links count the same items. Items referred before
-- this are given the team of their latest referral here; the update
-- trigger (0014) keeps their search documents and counters in step.
-- Portable SQL: the same file is migrations/postgres/0022 and
-- migrations/0022.

UPDATE items SET team_id = (
    SELECT r.team_id FROM referrals r WHERE r.item_id = items.id ORDER BY r.id DESC LIMIT 1)
WHERE status = 'referred' AND EXISTS (SELECT 1 FROM referrals r WHERE r.item_id = items.id);
