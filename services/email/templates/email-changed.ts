/** Told to the old address once a holder's sign-in email changed (no link: the change is done). */
export function emailChangedNotice(input: { at: Date }): { subject: string; text: string; html: string } {
  const when = input.at.toISOString();
  const lead =
    `The email address of your MassiveSMS sign-in was changed at ${when}; this address no longer signs in. ` +
    "If you did not ask for this, reply to this email or contact support at once: your sign-in may be in someone else's hands.";
  return { subject: 'Your MassiveSMS sign-in email was changed', text: lead, html: `<p>${lead}</p>` };
}
