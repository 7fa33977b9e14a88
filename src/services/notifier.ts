// Messages to customers (two-factor codes, links) go through a Notifier, so that real SMS and
// email senders can replace the development one.
import { now } from "../lib/clock";

export interface OutgoingMessage {
  to: string;
  channel: "SMS" | "EMAIL";
  subject: string;
  body: string;
}

export interface Notifier {
  send(message: OutgoingMessage): Promise<void>;
}

/** Development notifier: keeps messages in memory for GET /dev/mailbox, newest last. */
export class DevMailbox implements Notifier {
  private readonly messages: (OutgoingMessage & { sentAt: string })[] = [];

  constructor(private readonly capacity = 500) {}

  async send(message: OutgoingMessage): Promise<void> {
    this.messages.push({ ...message, sentAt: now() });
    if (this.messages.length > this.capacity) this.messages.shift();
  }

  list(): readonly (OutgoingMessage & { sentAt: string })[] {
    return this.messages;
  }
}
