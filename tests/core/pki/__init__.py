"""Tests of core/pki: your IDs, trust and chains, contacts, the doctor."""
