/**
 * The record store SPI: the few atomic operations on one key, with a time to live, that idempotency keys and
 * one-time tokens are built from. Each backend module implements it on its store.
 */
package io.distlock.idempotency.spi;
