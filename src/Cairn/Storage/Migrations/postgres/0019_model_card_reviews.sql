-- Issue 17, model cards: who returned a card to its authors and when, and the comment of its last review step (the
-- submitter's, the approver's or the returner's note), shown with the card. The full trail stays in the audit log.
ALTER TABLE model_cards ADD COLUMN returned_at BIGINT;
ALTER TABLE model_cards ADD COLUMN returned_by TEXT;
ALTER TABLE model_cards ADD COLUMN review_comment TEXT;
