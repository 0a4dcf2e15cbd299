/**
 * The responder's outward connections — the Kubernetes API, outgoing HTTP and the SMTP relay — checked when the
 * configuration loads, so a typo fails the start with its path instead of the first action that needs it (or, for
 * `responder.kube`, instead of silently talking to whatever cluster KUBECONFIG points at).
 * See docs/ARCHITECTURE.md, "Configuration".
 */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { cidrProblem } from '@bulwark/schema';
import { DurationSchema } from './duration.js';

/** A CIDR as the outgoing-HTTP address policy reads it (`parseCidr` of @bulwark/schema, the one reading). */
const Cidr = z.string().superRefine((cidr, ctx) => {
  const problem = cidrProblem(cidr);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A DNS name or an IP literal: what nodemailer connects to (no scheme, no port, no path). */
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const SmtpHost = z.string().refine((h) => isIP(h) !== 0 || HOSTNAME.test(h), {
  error: (issue) => `"${String(issue.input)}" is not a host name or IP address (no scheme or port: those are smtp.port and smtp.secure)`,
});

/** `bulwark@example.com` or `Bulwark <bulwark@example.com>`: one mailbox, the envelope sender every message carries. */
const ADDRESS = /^[^\s@<>"(),;:]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
export function mailboxProblem(from: string): string | null {
  const named = /^\s*(?:"[^"]*"|[^<>"@]*?)\s*<([^<>]+)>\s*$/.exec(from);
  const address = named ? named[1]! : from.trim();
  return ADDRESS.test(address) ? null : `"${from}" is not a mail address such as bulwark@example.com or "Bulwark <bulwark@example.com>"`;
}
const Mailbox = z.string().superRefine((from, ctx) => {
  const problem = mailboxProblem(from);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const existingFile = (what: string) =>
  z
    .string()
    .min(1)
    .refine((file) => existsSync(file), { error: (issue) => `no such ${what}: ${String(issue.input)}` });

/**
 * The Kubernetes API given explicitly: server and token go together (a server without credentials would fall back to
 * KUBECONFIG or the in-cluster account — another identity than the one configured). Omit the whole block for that.
 */
export const KubeSettingsSchema = z
  .strictObject({
    server: z.url({ protocol: /^https$/, error: 'an https:// URL (the token is a bearer credential)' }).optional(),
    token_file: existingFile('token file').optional(),
    ca_file: existingFile('CA file').optional(),
  })
  .superRefine((kube, ctx) => {
    if (kube.server !== undefined && kube.token_file === undefined) {
      ctx.addIssue({ code: 'custom', path: ['token_file'], message: 'is required with server (the credentials Bulwark uses there)' });
    }
    if (kube.server === undefined && (kube.token_file !== undefined || kube.ca_file !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['server'], message: 'is required with token_file or ca_file (without it they are ignored)' });
    }
  });

/** Outgoing HTTP (webhooks, http.request). */
export const HttpSettingsSchema = z.strictObject({
  /** Only these hosts (exact or `*.example.com`). */
  allow_hosts: z.array(z.string().min(1)).default([]),
  /** Private, loopback and link-local addresses are refused unless inside one of these CIDRs. */
  allow_cidrs: z.array(Cidr).default([]),
  timeout: DurationSchema.default(10_000),
});

/** Ports whose protocol is fixed by convention: implicit TLS on 465, STARTTLS (or none) on 25 and 587. */
const IMPLICIT_TLS_PORT = 465;
const STARTTLS_PORTS = new Set([25, 587]);

/** The SMTP relay `notify.email` sends through. */
export const SmtpSettingsSchema = z
  .strictObject({
    host: SmtpHost,
    port: z.coerce.number().int().min(1).max(65535).default(587),
    /** Implicit TLS from the first byte (port 465). */
    secure: z.boolean().default(false),
    /** STARTTLS must succeed before anything is sent (ports 25 and 587); meaningless with `secure`. */
    require_tls: z.boolean().default(false),
    user: z.string().min(1).optional(),
    /** Secret reference for the password: env:NAME or file:/path. */
    password_ref: z.string().regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/, 'env:NAME or file:/absolute/path').optional(),
    from: Mailbox,
    ca_file: existingFile('CA file').optional(),
  })
  .superRefine((smtp, ctx) => {
    if (smtp.secure === true && smtp.require_tls === true) {
      ctx.addIssue({ code: 'custom', path: ['require_tls'], message: 'applies to STARTTLS only: with secure: true the connection is TLS from the start; set one of them' });
    }
    if (smtp.secure === true && STARTTLS_PORTS.has(smtp.port)) {
      ctx.addIssue({ code: 'custom', path: ['secure'], message: `port ${smtp.port} speaks plain SMTP then STARTTLS: use secure: false (with require_tls: true), or port 465` });
    }
    if (smtp.secure !== true && smtp.port === IMPLICIT_TLS_PORT) {
      ctx.addIssue({ code: 'custom', path: ['secure'], message: 'port 465 expects TLS from the first byte: set secure: true' });
    }
    if (smtp.user !== undefined && smtp.password_ref === undefined) {
      ctx.addIssue({ code: 'custom', path: ['password_ref'], message: 'is required with smtp.user (env:NAME or file:/path)' });
    }
    if (smtp.user === undefined && smtp.password_ref !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['user'], message: 'is required with smtp.password_ref (the password is sent for a user)' });
    }
  });
