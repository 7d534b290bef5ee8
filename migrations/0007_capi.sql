-- Canvass client schema, version 7: CAPI assignments, their visits, interviews and consents.
-- An assignment is one interviewer's unit of face-to-face work (an address, a
-- household) with preloaded values and a target number of interviews. Its
-- counts and status are derived by the database itself: triggers below
-- recount an assignment whenever one of its interviews or visits changes, in
-- the same transaction, and the status is a generated column of those counts.
-- So no code path (finishing an interview, a restore, a sync) can leave a
-- status that disagrees with the data, and the dashboard reads one table.
-- Timestamps are INTEGER Unix milliseconds UTC; due dates are ISO `YYYY-MM-DD`.

CREATE TABLE assignments (
    id           TEXT PRIMARY KEY NOT NULL,
    study_id     TEXT NOT NULL,
    interviewer  TEXT NOT NULL,
    address      TEXT NOT NULL,
    area         TEXT NOT NULL DEFAULT '',
    target       INTEGER NOT NULL CHECK (target >= 1),
    due_date     TEXT,
    -- The preload columns as one JSON object of strings, in file order.
    preload      TEXT NOT NULL DEFAULT '{}',
    -- Lower-cased id, address, area and preload values: what dashboard search matches.
    search_text  TEXT NOT NULL,
    imported_at  INTEGER NOT NULL,
    -- Maintained by the triggers below; never written by the application.
    interviews    INTEGER NOT NULL DEFAULT 0,
    completed     INTEGER NOT NULL DEFAULT 0,
    visits        INTEGER NOT NULL DEFAULT 0,
    last_visit_at INTEGER,
    status        TEXT GENERATED ALWAYS AS (
                      CASE
                          WHEN completed >= target THEN 'done'
                          WHEN interviews > 0 THEN 'started'
                          WHEN visits > 0 THEN 'visited_no_contact'
                          ELSE 'new'
                      END) STORED
);

-- The dashboard's order (soonest due first, undated last) and its status filter and counts.
CREATE INDEX assignments_by_due ON assignments (due_date IS NULL, due_date, id);
CREATE INDEX assignments_by_status ON assignments (status, due_date IS NULL, due_date, id);
-- The area filter's list of areas.
CREATE INDEX assignments_by_area ON assignments (area);

-- Several interviews per assignment (every adult of a household); one assignment per interview.
CREATE TABLE assignment_interviews (
    interview_id  TEXT PRIMARY KEY NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    assignment_id TEXT NOT NULL REFERENCES assignments (id),
    linked_at     INTEGER NOT NULL
);

CREATE INDEX assignment_interviews_by_assignment ON assignment_interviews (assignment_id, linked_at);

-- A call at the address that produced no interview, with its AAPOR in-person code.
CREATE TABLE visits (
    id            TEXT PRIMARY KEY NOT NULL,
    assignment_id TEXT NOT NULL REFERENCES assignments (id),
    visited_at    INTEGER NOT NULL,
    reason        TEXT NOT NULL CHECK (reason IN ('nobody_home', 'refused', 'address_not_found', 'other')),
    aapor_code    TEXT NOT NULL,
    revisit_at    INTEGER,
    note          TEXT
);

CREATE INDEX visits_by_assignment ON visits (assignment_id, visited_at);

-- Informed consent as the respondent gave or refused it, with the exact wording shown.
CREATE TABLE consents (
    id            TEXT PRIMARY KEY NOT NULL,
    interview_id  TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    given         INTEGER NOT NULL CHECK (given IN (0, 1)),
    statement     TEXT NOT NULL,
    recorded_at   INTEGER NOT NULL
);

CREATE INDEX consents_by_interview ON consents (interview_id, recorded_at);

-- The assignment's own session log: what happened at the address outside any
-- interview (import, visits, interviews started), ordered by seq.
CREATE TABLE assignment_events (
    assignment_id TEXT NOT NULL REFERENCES assignments (id),
    seq           INTEGER NOT NULL,
    at_ms         INTEGER NOT NULL,
    tz_offset_min INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    detail        TEXT,
    PRIMARY KEY (assignment_id, seq)
) WITHOUT ROWID;

-- Recounting one assignment's interviews (started and completed).
CREATE TRIGGER assignment_interview_linked AFTER INSERT ON assignment_interviews BEGIN
    UPDATE assignments SET
        interviews = (SELECT count(*) FROM assignment_interviews WHERE assignment_id = NEW.assignment_id),
        completed = (SELECT count(*) FROM assignment_interviews AS ai JOIN interviews AS i ON i.id = ai.interview_id
                     WHERE ai.assignment_id = NEW.assignment_id AND i.status = 'completed')
    WHERE id = NEW.assignment_id;
END;

CREATE TRIGGER assignment_interview_unlinked AFTER DELETE ON assignment_interviews BEGIN
    UPDATE assignments SET
        interviews = (SELECT count(*) FROM assignment_interviews WHERE assignment_id = OLD.assignment_id),
        completed = (SELECT count(*) FROM assignment_interviews AS ai JOIN interviews AS i ON i.id = ai.interview_id
                     WHERE ai.assignment_id = OLD.assignment_id AND i.status = 'completed')
    WHERE id = OLD.assignment_id;
END;

-- An interview's status changes (completed, reopened): recount its assignment, if it has one.
CREATE TRIGGER assignment_interview_status AFTER UPDATE OF status ON interviews
WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE assignments SET
        completed = (SELECT count(*) FROM assignment_interviews AS ai JOIN interviews AS i ON i.id = ai.interview_id
                     WHERE ai.assignment_id = assignments.id AND i.status = 'completed')
    WHERE id = (SELECT assignment_id FROM assignment_interviews WHERE interview_id = NEW.id);
END;

CREATE TRIGGER assignment_visit_added AFTER INSERT ON visits BEGIN
    UPDATE assignments SET
        visits = (SELECT count(*) FROM visits WHERE assignment_id = NEW.assignment_id),
        last_visit_at = (SELECT max(visited_at) FROM visits WHERE assignment_id = NEW.assignment_id)
    WHERE id = NEW.assignment_id;
END;

CREATE TRIGGER assignment_visit_removed AFTER DELETE ON visits BEGIN
    UPDATE assignments SET
        visits = (SELECT count(*) FROM visits WHERE assignment_id = OLD.assignment_id),
        last_visit_at = (SELECT max(visited_at) FROM visits WHERE assignment_id = OLD.assignment_id)
    WHERE id = OLD.assignment_id;
END;
