import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';

/**
 * The authentication request a fake PostgreSQL server sends after the startup message
 * (AuthenticationRequest codes of the wire protocol): what a hostile or misconfigured server may ask.
 */
export type AuthChallenge =
  | 'cleartext' // 3: AuthenticationCleartextPassword
  | 'md5' // 5: AuthenticationMD5Password
  | 'gss' // 7: AuthenticationGSS
  | 'sspi' // 9: AuthenticationSSPI
  | 'sasl-unknown'; // 10: AuthenticationSASL offering only a mechanism no client speaks

/** What one connection sent: its startup user, and every message after the challenge. */
export interface RecordedConnection {
  user: string | undefined;
  database: string | undefined;
  /** Message type bytes after the challenge: 'p' is a password (or SASL/GSS) response. */
  messages: string[];
  /** The raw bytes of every 'p' message: what a password answer would have leaked. */
  passwordMessages: Buffer[];
}

export interface AuthChallengeServer {
  host: string;
  port: number;
  connections: RecordedConnection[];
  /** Whether any connection answered the challenge with a password message. */
  receivedPassword(): boolean;
  stop(): Promise<void>;
}

const CODES: Record<AuthChallenge, number> = { cleartext: 3, md5: 5, gss: 7, sspi: 9, 'sasl-unknown': 10 };

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function challenge(kind: AuthChallenge): Buffer {
  const code = Buffer.alloc(4);
  code.writeInt32BE(CODES[kind]);
  if (kind === 'md5') return message('R', Buffer.concat([code, randomBytes(4)]));
  if (kind === 'sasl-unknown') return message('R', Buffer.concat([code, Buffer.from('X-UNKNOWN\0\0')]));
  return message('R', code);
}

/** An ErrorResponse, as a server that rejects the password would send it. */
function authFailed(): Buffer {
  const fields = 'SFATAL\0C28P01\0Mpassword authentication failed\0\0';
  return message('E', Buffer.from(fields, 'latin1'));
}

function startupParameters(body: Buffer): Record<string, string> {
  const parts = body.subarray(4).toString('utf8').split('\0');
  const parameters: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) {
    if (parts[i]) parameters[parts[i] as string] = parts[i + 1] as string;
  }
  return parameters;
}

/**
 * A loopback server that speaks just enough of the PostgreSQL wire protocol to ask for a password
 * the way `kind` says (refusing TLS, so the exchange is plain), and records whatever the client
 * answers: the proof that a refused challenge got no password, hashed or not.
 */
export async function startAuthChallengeServer(kind: AuthChallenge): Promise<AuthChallengeServer> {
  const connections: RecordedConnection[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const recorded: RecordedConnection = {
      user: undefined,
      database: undefined,
      messages: [],
      passwordMessages: [],
    };
    connections.push(recorded);
    let buffered = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        if (!started) {
          if (buffered.length < 8) return;
          const length = buffered.readInt32BE(0);
          if (buffered.length < length) return;
          const body = buffered.subarray(4, length);
          buffered = buffered.subarray(length);
          const code = body.readInt32BE(0);
          if (code === 80877103 || code === 80877104) {
            socket.write('N'); // SSLRequest / GSSENCRequest: not here
            continue;
          }
          const parameters = startupParameters(body);
          recorded.user = parameters.user;
          recorded.database = parameters.database;
          started = true;
          socket.write(challenge(kind));
          continue;
        }
        if (buffered.length < 5) return;
        const length = buffered.readInt32BE(1);
        if (buffered.length < length + 1) return;
        const type = buffered.subarray(0, 1).toString('latin1');
        recorded.messages.push(type);
        if (type === 'p') {
          recorded.passwordMessages.push(Buffer.from(buffered.subarray(5, length + 1)));
          socket.end(authFailed());
        }
        buffered = buffered.subarray(length + 1);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('no address for the fake server');
  return {
    host: '127.0.0.1',
    port: address.port,
    connections,
    receivedPassword: () => connections.some((connection) => connection.passwordMessages.length > 0),
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
