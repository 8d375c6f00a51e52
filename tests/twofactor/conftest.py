"""Fixtures of the twofactor tests: the local stand-in of Twilio's Messages API."""

from tests.twofactor.twilio_standin import twilio_api  # noqa: F401 - a fixture, registered by import
