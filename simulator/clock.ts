/**
 * The time the simulator stamps on the messages it accepts (the ledger's acceptedAt / sentAt /
 * completedAt, and the carrier message dates built from them). A test running the product on a
 * shifted clock (quiet hours at 20:00 in Florida, without waiting for it) shifts this one by the same
 * offset, so the ledger and the product read one timeline. Signatures, callback delays and outage
 * windows stay on real time: the product verifies those against its own wall clock.
 */
export class SimClock {
  offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}
