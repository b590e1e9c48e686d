//! The benchmark's own workflows, checked so its figures mean what they say.

mod ceiling;
mod reservations;
