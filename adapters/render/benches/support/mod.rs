//! Helpers shared by the bench and the samples example.

pub mod synthetic;
