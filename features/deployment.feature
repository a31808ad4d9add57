@phase2
Feature: Deployment validation
  As the devops engineer handing the deployment over to QA,
  I need proof that Temporal runs on PostgreSQL and is ready for work,
  so that nobody builds the next sprint on a broken deployment.

  Gate (Phase 2 checklist): all services running; health checks passing; PostgreSQL schema
  created; Temporal UI accessible; configuration documented; connection strings validated.

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

    @P1
    Scenario: The connection strings Temporal runs with reach its databases
      Then every datastore in the Temporal configuration reaches a database with Temporal's schema

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
      And it does not contain the PostgreSQL password
