-- placewatch schema 20: where a notification leads when it is about no one
-- item: "priya assigned 12 items to you" opens the officer's own items
-- (`/?owner=me`), "… to Streets team" the team's (`/?team=Streets%20team`).
-- A desk path; NULL for a notification about one item (it opens the item)
-- or about none (it opens the list).
ALTER TABLE notifications ADD COLUMN link TEXT;
