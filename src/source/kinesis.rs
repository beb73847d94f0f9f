//! Amazon Kinesis Data Streams consumer (polling GetRecords or enhanced fan-out).
