@phase6 @upgrade
Feature: Upgrades, one Temporal release line at a time, on the same PostgreSQL data
  As the devops engineer who keeps this deployment current, and the QA engineer who signs
  each upgrade off, I need proof that upgrading Temporal loses nothing — no history, no row,
  no workflow in flight — that a server never runs on a schema it does not know, and that an
  upgrade that goes wrong leaves the old release serving the old data, so that upgrades stop
  being the moment self-hosted Temporal on PostgreSQL breaks.

  Gate (Phase 6 checklist): compatibility cases executed — the upgrade path; schema
  migrations verified; recommendations documented (docs/UPGRADES.md).

  Upstream's rule is the path: one minor line at a time, both schemas (the main store and
  visibility) updated with the new release's schema tool before the new server starts. Each
  hop is what `temporal-acceptance upgrade --to` does: Temporal and the UI stopped, both
  databases backed up, both schemas updated, the new release and its UI started on the same
  data, and what it serves verified — every step timed. The scenarios run on a deployment of
  their own (native; compose with -D target=compose), which the hops of the path take from
  the oldest release line of the matrix to the newest, one after the other; they disrupt
  only that deployment, never the run's shared one (so they are not tagged disruptive).

  Rule: A server never runs on a schema it does not know, and the way forward is named

    @P0
    Scenario: A newer release started on the old schema refuses, and the old release serves again
      Given a deployment of Temporal 1.30.8 with completed workflows
      When Temporal 1.31.2 is started on its databases without updating their schemas
      Then it refuses with the server's schema-compatibility error
      And the suite reports it as a version-compatibility issue naming both update-schema commands
      And Temporal 1.30.8 serves every workflow unchanged once it is started again

  Rule: An upgrade that fails is rolled back to the old release on the old data

    @P0
    Scenario: A hop that fails after the new release started is rolled back from its backup
      Given a deployment of Temporal 1.30.8 with completed workflows and others in flight
      When its upgrade to Temporal 1.31.2 fails after the new release has started
      Then the upgrade command restored the backup and started Temporal 1.30.8 again
      And both schemas are at the versions Temporal 1.30.8 expects
      And every completed workflow's history is unchanged
      And every workflow in flight completes with its full history

  Rule: Each hop keeps every workflow, completed or in flight, and the UI still shows them

    @P0
    Scenario Outline: Temporal <from> is upgraded to <to> on the same data
      Given a deployment of Temporal <from> with completed workflows and others in flight
      When it is upgraded to Temporal <to>, both schemas first
      Then both schemas are at the versions Temporal <to> expects
      And every completed workflow's history is unchanged
      And Temporal's rows and the application's rows are unchanged
      And every workflow in flight completes with its full history
      And a new workflow runs to completion on it
      And the upgraded UI shows the workflows that ran before the upgrade

      @slow
      Examples: From the oldest line of the matrix
        | from   | to     |
        | 1.29.2 | 1.30.8 |

      Examples: The hop CI runs (both schemas change)
        | from   | to     |
        | 1.30.8 | 1.31.2 |

      @slow
      Examples: To the newest release
        | from   | to     |
        | 1.31.2 | 1.32.2 |

  Rule: The backup taken before migrating can be restored

    @P0
    Scenario: A backup restored into a fresh deployment of the same versions serves every workflow
      Given a deployment with completed workflows
      When it is backed up and the backup is restored into a fresh deployment of the same versions
      Then every workflow of the source is there with an identical history
      And a new workflow runs to completion on the restored deployment
