"""Tests of core/migrate: importing from Thunderbird, NeoMutt and gpgsm."""
