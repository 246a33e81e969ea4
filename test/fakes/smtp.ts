import { type AddressInfo, createServer, type Socket } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

/**
 * How the server answers one message to an address: `accept` (250), `defer` (451 after the data),
 * `refuse` (550 at RCPT TO), `drop` (the connection cut while the data comes in, no reply) or `hold`
 * (the whole message taken and kept, and no reply ever given, so that the test can kill the sender
 * meanwhile).
 */
export type SmtpAnswer = 'accept' | 'defer' | 'refuse' | 'drop' | 'hold';

export interface ReceivedMail {
  to: string;
  messageId: string;
  subject: string;
  raw: string;
  answer: SmtpAnswer;
  /** Whether the whole message arrived and was kept (250, or held): the server has it. */
  kept: boolean;
}

export interface FakeSmtp {
  port: number;
  /** Every message whose data began, in order, however it ended. */
  received: ReceivedMail[];
  /** The answers to the next messages to an address, in order; then `accept`. */
  script(address: string, answers: SmtpAnswer[]): void;
  /** Resolves when the first held message has arrived whole. */
  held(): Promise<void>;
  /** The password the server takes for `user` (AUTH is offered only when `login` was given). */
  setPassword(pass: string): void;
  /** MAIL FROM refused (553), as a server that does not let us send as MAIL_FROM; null takes it again. */
  refuseSender(refuse: boolean): void;
  /** MAIL FROM never answered: the server stalls mid-session. */
  stallAtSender(stall: boolean): void;
  /** The env that points the app at this server. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

const replyError = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

/**
 * A real SMTP server in the test process (smtp-server), scripted per recipient. With `login`, it asks for
 * AUTH (PLAIN/LOGIN, over plain TCP as a local relay may) and refuses a wrong password with 535.
 */
export async function startFakeSmtp(
  options: { login?: { user: string; pass: string } } = {},
): Promise<FakeSmtp> {
  let password = options.login?.pass ?? '';
  let senderRefused = false;
  let senderStalls = false;
  const scripts = new Map<string, SmtpAnswer[]>();
  const received: ReceivedMail[] = [];
  let heldArrived: () => void = () => {};
  const heldReady = new Promise<void>((resolve) => {
    heldArrived = resolve;
  });

  const next = (address: string): SmtpAnswer => {
    const answers = scripts.get(address.toLowerCase());
    return answers?.shift() ?? 'accept';
  };
  const recipient = (session: SMTPServerSession) => session.envelope.rcptTo[0]?.address.toLowerCase() ?? '';
  // The answer for a session's message is taken at RCPT TO, so that a refusal can be given there.
  const answers = new Map<string, SmtpAnswer>();

  const server = new SMTPServer({
    authOptional: !options.login,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    disabledCommands: options.login ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    onAuth(auth, _session, callback) {
      if (auth.username === options.login?.user && auth.password === password) {
        return callback(null, { user: auth.username });
      }
      callback(replyError(535, '5.7.8 Authentication credentials invalid'));
    },
    onMailFrom(_address, _session, callback) {
      if (senderStalls) return;
      if (senderRefused) return callback(replyError(553, '5.7.1 Sender address rejected: not owned by user'));
      callback();
    },
    // A held connection must not keep the test waiting when it ends.
    closeTimeout: 1_000,
    logger: false,
    onRcptTo(address, session, callback) {
      const answer = next(address.address);
      answers.set(session.id, answer);
      if (answer === 'refuse') return callback(replyError(550, '5.1.1 Mailbox unavailable: no such user'));
      callback();
    },
    onData(stream, session, callback) {
      const answer = answers.get(session.id) ?? 'accept';
      const chunks: Buffer[] = [];
      const mail = (raw: string, kept: boolean): ReceivedMail => ({
        to: recipient(session),
        messageId: /^Message-ID:\s*(<[^>]+>)/imu.exec(raw)?.[1] ?? '',
        subject: /^Subject:\s*(.*)$/imu.exec(raw)?.[1] ?? '',
        raw,
        answer,
        kept,
      });
      stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (answer === 'drop' && chunks.length === 1) {
          received.push(mail(Buffer.concat(chunks).toString(), false));
          // smtp-server gives no handle on the socket: the connection of this session is found by its id.
          for (const connection of server.connections) {
            if (connection.id === session.id) connection._socket.destroy();
          }
        }
      });
      stream.on('end', () => {
        if (answer === 'drop') return;
        const raw = Buffer.concat(chunks).toString();
        if (answer === 'defer') {
          received.push(mail(raw, false));
          return callback(replyError(451, '4.7.1 Greylisted, please try again later'));
        }
        received.push(mail(raw, true));
        if (answer === 'hold') heldArrived();
        else callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  return {
    port,
    received,
    script(address, list) {
      scripts.set(address.toLowerCase(), [...list]);
    },
    held: () => heldReady,
    setPassword(pass) {
      password = pass;
    },
    refuseSender(refuse) {
      senderRefused = refuse;
    },
    stallAtSender(stall) {
      senderStalls = stall;
    },
    env: () => ({ MAIL_TRANSPORT: 'smtp', SMTP_URL: `smtp://127.0.0.1:${port}` }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The PDF attachments of a message as sent (base64 parts of type application/pdf). */
export function pdfAttachments(raw: string): Buffer[] {
  const boundary = /boundary="?([^";\r\n]+)"?/u.exec(raw)?.[1];
  if (!boundary) return [];
  return raw
    .split(`--${boundary}`)
    .filter((part) => /Content-Type:\s*application\/pdf/iu.test(part))
    .map((part) => {
      const body = part.slice(part.search(/\r?\n\r?\n/u)).replace(/\s+/gu, '');
      return Buffer.from(body, 'base64');
    });
}

/** A message's text as read: quoted-printable undone (soft line breaks joined, =XX bytes decoded). */
export function readable(raw: string): string {
  const bytes = raw
    .replace(/=\r?\n/gu, '')
    .replace(/=([0-9A-F]{2})/gu, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** A server that takes connections and never greets, as a mail server hung or behind a black hole. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
