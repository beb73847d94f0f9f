//! Alarm actions: run a command with the alarm as JSON on stdin, or append to a JSON Lines file.
