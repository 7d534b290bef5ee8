-- Canvass client schema, version 7: CAPI assignments, their visits, interviews and consents.
-- An assignment is one interviewer's unit of face-to-face work (an address, a
-- household) with preloaded values and a target number of interviews. Its
-- status is derived, never stored (see the assignment_overview view), so it
-- can never disagree with the interviews and visits it is derived from.
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
    imported_at  INTEGER NOT NULL
);

CREATE INDEX assignments_by_due ON assignments (due_date, id);

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

-- Each assignment with its derived status: done once completed interviews reach
-- the target, started once any interview exists, visited_no_contact after a
-- visit without an interview, otherwise new.
CREATE VIEW assignment_overview AS
SELECT a.id, a.study_id, a.interviewer, a.address, a.area, a.target, a.due_date, a.preload, a.search_text,
       a.imported_at,
       coalesce(s.started, 0)   AS interviews,
       coalesce(s.completed, 0) AS completed,
       coalesce(v.visits, 0)    AS visits,
       v.last_visit_at,
       CASE
           WHEN coalesce(s.completed, 0) >= a.target THEN 'done'
           WHEN coalesce(s.started, 0) > 0 THEN 'started'
           WHEN coalesce(v.visits, 0) > 0 THEN 'visited_no_contact'
           ELSE 'new'
       END AS status
FROM assignments AS a
LEFT JOIN (SELECT ai.assignment_id, count(*) AS started, sum(i.status = 'completed') AS completed
           FROM assignment_interviews AS ai JOIN interviews AS i ON i.id = ai.interview_id
           GROUP BY ai.assignment_id) AS s ON s.assignment_id = a.id
LEFT JOIN (SELECT assignment_id, count(*) AS visits, max(visited_at) AS last_visit_at
           FROM visits GROUP BY assignment_id) AS v ON v.assignment_id = a.id;
