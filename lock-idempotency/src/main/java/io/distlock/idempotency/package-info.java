/**
 * Idempotent endpoints on distlock. A lock stops <em>concurrent</em> duplicates; a retry that arrives after the first
 * request finished needs more:
 * <ul>
 *   <li>{@link io.distlock.idempotency.IdempotencyKeys}: the first request with a key runs the operation and stores
 *       its result; a concurrent duplicate fails fast with {@link io.distlock.idempotency.RequestInProgressException};
 *       a later duplicate gets the stored result without running anything; the same key with another request is
 *       rejected ({@link io.distlock.idempotency.KeyReusedException}). As Stripe's Idempotency-Key.</li>
 *   <li>{@link io.distlock.idempotency.OneTimeTokens}: a token issued with a form and consumed by its submission;
 *       of any number of concurrent submissions exactly one consumes it.</li>
 * </ul>
 * Both run on a {@link io.distlock.idempotency.spi.RecordStore} of the same backend as the locks.
 */
package io.distlock.idempotency;
