/** The OpenAPI 3.1 document, generated from the route table and its zod schemas. */
import { z, type ZodTypeAny } from 'zod';
import type { Config } from '../config.ts';
import type { RouteDef } from './http.ts';
import { gatewayBaseUrl } from '../transport.ts';

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses) for the zod constructs the schemas use. */
export function jsonSchema(t: ZodTypeAny): Record<string, unknown> {
  const def = t._def as { typeName: string } & Record<string, unknown>;
  switch (def.typeName) {
    case 'ZodObject': {
      const shape = (t as z.ZodObject<z.ZodRawShape>).shape;
      const properties: Record<string, unknown> = {};
      const required: string[] = [];
      for (const [k, v] of Object.entries(shape)) {
        properties[k] = jsonSchema(v);
        if (!v.isOptional()) required.push(k);
      }
      const catchall = def.catchall as ZodTypeAny | undefined;
      const extra =
        catchall && (catchall._def as { typeName: string }).typeName !== 'ZodNever'
          ? jsonSchema(catchall)
          : def.unknownKeys === 'strict'
            ? false
            : undefined;
      return {
        type: 'object',
        properties,
        ...(required.length ? { required } : {}),
        ...(extra !== undefined ? { additionalProperties: extra } : {}),
      };
    }
    case 'ZodString': {
      const out: Record<string, unknown> = { type: 'string' };
      for (const c of (def.checks as { kind: string; value?: number; regex?: RegExp }[]) ?? []) {
        if (c.kind === 'min') out.minLength = c.value;
        if (c.kind === 'max') out.maxLength = c.value;
        if (c.kind === 'regex') out.pattern = c.regex!.source;
        if (c.kind === 'email') out.format = 'email';
        if (c.kind === 'uuid') out.format = 'uuid';
      }
      return out;
    }
    case 'ZodNumber': {
      const checks = (def.checks as { kind: string; value?: number; inclusive?: boolean }[]) ?? [];
      const out: Record<string, unknown> = {
        type: checks.some((c) => c.kind === 'int') ? 'integer' : 'number',
      };
      for (const c of checks) {
        if (c.kind === 'min') out[c.inclusive ? 'minimum' : 'exclusiveMinimum'] = c.value;
        if (c.kind === 'max') out[c.inclusive ? 'maximum' : 'exclusiveMaximum'] = c.value;
      }
      return out;
    }
    case 'ZodBoolean':
      return { type: 'boolean' };
    case 'ZodEnum':
      return { type: 'string', enum: def.values };
    case 'ZodArray': {
      const out: Record<string, unknown> = { type: 'array', items: jsonSchema(def.type as ZodTypeAny) };
      if (def.minLength) out.minItems = (def.minLength as { value: number }).value;
      if (def.maxLength) out.maxItems = (def.maxLength as { value: number }).value;
      return out;
    }
    case 'ZodOptional':
    case 'ZodNullable':
      return jsonSchema(def.innerType as ZodTypeAny);
    case 'ZodDefault':
      return { ...jsonSchema(def.innerType as ZodTypeAny), default: (def.defaultValue as () => unknown)() };
    case 'ZodUnion':
      return { anyOf: (def.options as ZodTypeAny[]).map(jsonSchema) };
    case 'ZodRecord':
      return { type: 'object', additionalProperties: jsonSchema(def.valueType as ZodTypeAny) };
    case 'ZodEffects':
      return jsonSchema(def.schema as ZodTypeAny);
    default:
      return {};
  }
}

const problemRef = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string): Record<string, unknown> => ({
  description,
  content: { 'application/problem+json': { schema: problemRef } },
});

export function openApiDocument(config: Config, routes: readonly RouteDef[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const system = [
    { method: 'get', path: '/health', summary: 'Liveness (no auth)' },
    {
      method: 'get',
      path: '/ready',
      summary: 'Readiness: peer, Postgres and IPFS reachable (503 otherwise; no auth)',
    },
    { method: 'get', path: '/metrics', summary: 'Prometheus metrics' },
    {
      method: 'get',
      path: '/.well-known/jwks.json',
      summary: "The public keys that verify this gateway's access tokens, by kid (RS256; no auth)",
    },
    { method: 'get', path: '/api/v1/openapi.json', summary: 'This document' },
  ];
  for (const s of system) {
    paths[s.path] = {
      [s.method]: {
        summary: s.summary,
        tags: ['system'],
        security: [],
        responses: { 200: { description: 'OK' }, 503: problemResponse('not ready') },
      },
    };
  }
  for (const r of routes) {
    const path = `/api/v1${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`;
    const params = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (r.query) {
      const q = jsonSchema(r.query) as { properties: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties))
        params.push({
          name,
          in: 'query',
          required: q.required?.includes(name) ?? false,
          schema: schema as { type: string },
        });
    }
    for (const h of r.headers ?? [])
      params.push({ name: h.name, in: 'header', required: false, schema: { type: 'string' } });
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      security: r.access.kind === 'public' ? [] : [{ bearer: [] }],
      ...(r.access.kind === 'user' && (r.access.roles || r.access.orgs)
        ? { 'x-access': { roles: r.access.roles ?? 'any', orgs: r.access.orgs ?? 'any' } }
        : {}),
      parameters: params,
      responses: {
        [String(r.status ?? 200)]: {
          description: 'success',
          content: { 'application/json': { schema: {} } },
        },
        400: problemResponse('invalid input'),
        ...(r.access.kind === 'user'
          ? { 401: problemResponse('not authenticated'), 403: problemResponse('not allowed') }
          : {}),
        ...(r.method !== 'get' ? { 503: problemResponse('a dependency is down; nothing was written') } : {}),
        // Reads need their dependency too (the Operations page's is Prometheus: MONITORING_UNAVAILABLE).
        ...(r.method === 'get' && r.access.kind === 'user'
          ? { 503: problemResponse('a dependency (database, peer, Prometheus) is unavailable') }
          : {}),
        default: problemResponse('error'),
      },
    };
    if (r.body)
      op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } };
    if (r.multipart) {
      const fields = jsonSchema(r.multipart) as { properties: Record<string, unknown>; required?: string[] };
      op.requestBody = {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              properties: {
                ...fields.properties,
                file: { type: 'string', contentMediaType: 'application/octet-stream' },
              },
              required: [...(fields.required ?? []), 'file'],
            },
          },
        },
      };
      (op.responses as Record<string, unknown>)[413] = problemResponse('file over the size limit');
      (op.responses as Record<string, unknown>)[415] = problemResponse('media type not allowed');
      (op.responses as Record<string, unknown>)[429] = problemResponse(
        "the user's upload quota is used up (Retry-After says when it frees)",
      );
    }
    paths[path] = { ...(paths[path] ?? {}), [r.method]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: `Coffee export gateway — ${config.org.displayName}`,
      version: '1.0.0',
      description: `The ${config.org.mspId} gateway to coffee-export-channel.`,
    },
    servers: [{ url: gatewayBaseUrl(config.host, config.port, config.tls) }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (RS256)' } },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code'],
          properties: {
            type: { type: 'string', format: 'uri' },
            title: { type: 'string' },
            status: { type: 'integer' },
            code: { type: 'string' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            txId: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { path: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  };
}
