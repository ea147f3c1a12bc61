"""Newswire Streams: news articles in Kafka -> entity, quote, stance and country-mention events (README, Layout)."""
