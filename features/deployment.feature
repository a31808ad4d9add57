@phase2
Feature: Deployment validation
  As the devops engineer handing the deployment over to QA,
  I need proof that Temporal runs on PostgreSQL and is ready for work,
  so that nobody builds the next sprint on a broken deployment.

  Gate (Phase 2 checklist): all services running; health checks passing; PostgreSQL schema
  created; Temporal UI accessible; configuration documented; connection strings validated.
  Security: only this machine reaches the deployment; Temporal's database role holds only
  the privileges it needs; no password shows in anything the run writes (checked when the
  run ends).

  Background:
    Given the Temporal stack is deployed

  Rule: All services are running and their health checks pass

    @P0
    Scenario: Every service of the deployment is running and healthy
      Then these services are running and healthy:
        | service  |
        | postgres |
        | temporal |
        | ui       |

    @P0
    Scenario: The Temporal frontend is serving and every server role is up
      Then the Temporal frontend reports that it is serving
      And these Temporal server roles are up:
        | role     |
        | frontend |
        | history  |
        | matching |
        | worker   |

  Rule: Connection strings are validated

    @P0
    Scenario: PostgreSQL accepts the configured credentials
      When a client connects to Temporal's database with the configured credentials
      Then the connection succeeds on the requested PostgreSQL major version

    @P1
    Scenario: PostgreSQL rejects a wrong password with a clear message
      When a client connects to Temporal's database with a wrong password
      Then the connection is refused because the password is wrong

    @P0
    Scenario: The datastores Temporal runs with are its own databases at this release's schema
      When the datastores are read from the configuration Temporal runs with
      Then its default store is Temporal's database at the schema version this release expects
      And its visibility store is the visibility database at the schema version this release expects

  Rule: Only this machine can reach the deployment

    @P0
    Scenario: Every service of the deployment listens on loopback only
      Then none of these services listens beyond this machine:
        | service  |
        | postgres |
        | temporal |
        | ui       |

  Rule: Temporal's database role has least privilege

    @P0
    Scenario: Temporal's database role has only the privileges it needs
      When Temporal's database role is examined from a session of its own
      Then it is not a superuser and cannot create roles or databases
      And it is refused a change of the server's configuration
      And it cannot reach any database but Temporal's own

  Rule: The PostgreSQL schema is created

    @P0
    Scenario: Both Temporal databases exist at the schema version this release expects
      Then Temporal's database and its visibility database exist
      And each Temporal database is at the schema version this Temporal release expects

    @P0
    Scenario: The tables Temporal needs are present
      Then Temporal's database has every table this release needs
      And the visibility database has every table this release needs

  Rule: The Temporal UI is accessible

    @P1
    Scenario: The Temporal UI answers and lists the default namespace
      Then the Temporal UI answers its health check
      And the Temporal UI lists the "default" namespace

  Rule: The configuration is documented

    @P2
    Scenario: The effective configuration is recorded without secrets
      When the effective configuration is recorded
      Then it names the PostgreSQL endpoint, the Temporal frontend and the UI
      And it contains none of the deployment's passwords
