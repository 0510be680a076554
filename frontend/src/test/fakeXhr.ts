/** A scriptable XMLHttpRequest: tests drive upload progress and the response by hand. */
type Handler = ((ev: ProgressEvent) => void) | null;

export class FakeXhr {
  static instances: FakeXhr[] = [];
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown;
  status = 0;
  responseText = '';
  upload: { onprogress: Handler } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;

  constructor() {
    FakeXhr.instances.push(this);
  }
  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string): void {
    this.headers[k] = v;
  }
  send(body: unknown): void {
    this.body = body;
  }
  abort(): void {
    this.onabort?.();
  }
  /** Test side: report upload progress. */
  progress(loaded: number, total: number): void {
    this.upload.onprogress?.({ lengthComputable: true, loaded, total } as ProgressEvent);
  }
  /** Test side: finish with a status and JSON body. */
  respond(status: number, body: unknown): void {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
  static reset(): void {
    FakeXhr.instances = [];
  }
  static last(): FakeXhr {
    const x = FakeXhr.instances[FakeXhr.instances.length - 1];
    if (!x) throw new Error('no XHR was opened');
    return x;
  }
}

/** Resolves once n XHRs have been opened (uploads start after awaited work). */
export async function waitForXhr(n: number): Promise<FakeXhr> {
  for (let i = 0; i < 200; i++) {
    if (FakeXhr.instances.length >= n) return FakeXhr.instances[n - 1] as FakeXhr;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`expected ${n} uploads, saw ${FakeXhr.instances.length}`);
}
