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
  The Rules from "Every role is healthy as the server itself reports it" on are the failures
  that take self-hosted Temporal on PostgreSQL down in practice (deployment guide,
  troubleshooting): they read the deployment only, so they also run on an external one.

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

  Rule: Every role is healthy as the server itself reports it

    @P0
    Scenario: The server reports every role healthy, not only the frontend
      Then the server reports every role healthy, history included

  Rule: Each role's membership ring holds the hosts the topology expects, none of them stale

    @P0
    Scenario: The membership rings match the deployment's topology
      Then each role's membership ring holds the hosts the topology expects and none that is stale

  Rule: The history shards are those the cluster was created with, and each one is owned

    @P0
    Scenario: One history shard count everywhere, every shard owned
      Then the history shard count is the same in the configuration, the cluster metadata and the shards table
      And every history shard is owned by a host of the history ring

  Rule: Temporal's connection pools fit PostgreSQL's connection limit

    @P1
    Scenario: Every role's pools and the other clients fit, with headroom
      Then Temporal's connection pools and 10 other connections fit PostgreSQL's limit with 20% to spare

  Rule: The visibility store has what advanced visibility needs

    @P1
    Scenario: A supported SQL plugin, and the extension and helper functions of its schema
      Then the visibility store is one Temporal supports for advanced visibility
      And the visibility database has what advanced visibility needs

  Rule: The namespaces workers need exist

    @P1
    Scenario: The default namespace keeps closed workflows as long as expected; the system namespace exists
      Then these namespaces exist with their retention:
        | namespace       | retention |
        | default         | 3 days    |
        | temporal-system | 7 days    |

  Rule: PostgreSQL keeps its data on the deployment's persistent storage

    @P0
    Scenario: PostgreSQL's live data directory is on persistent storage
      Then PostgreSQL's live data directory lies on the deployment's persistent storage

  Rule: PostgreSQL accepts only TLS when the deployment requires it

    @P1
    Scenario: Temporal's connections are encrypted and a plain client is refused
      Given the deployment requires TLS to PostgreSQL
      Then every connection of Temporal's roles to PostgreSQL is encrypted
      And a client without TLS is refused with a clear message

  Rule: PostgreSQL runs in the time zone the deployment asks for

    @P2
    Scenario: PostgreSQL's time zone is the one the deployment asked for
      Then PostgreSQL runs in the time zone the deployment asked for
