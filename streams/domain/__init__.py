"""Pure rules of the data: intake, events and their ids, contracts, tables, JSON Lines. No Kafka, no spaCy."""
