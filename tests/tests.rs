//! Integration tests, built as one binary. Every outside service is a fake on
//! 127.0.0.1 started by the test itself.

mod it;
