"""Tests of cli/: the commands run through main([...]) against real servers."""
