-- One row naming this installation. Runtimes label what they create with
-- it, so an installation reconciles only its own containers and pods when
-- several share one Docker engine or cluster.
CREATE TABLE installation (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    singleton  boolean     NOT NULL DEFAULT true UNIQUE CHECK (singleton)
);

INSERT INTO installation DEFAULT VALUES;
