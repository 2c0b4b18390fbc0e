/**
 * The one-command demo ({@code ./demo}): a "bargain" service deployed as several replicas receives a stream of
 * requests with duplicates (double clicks, client retries) arriving at the same moment, once without a lock and once
 * with distlock, and reports the double applications and how fast duplicates were turned away. Only {@link
 * io.distlock.demo.Demo} (the command line) is public; this is an application, not an API.
 */
package io.distlock.demo;
