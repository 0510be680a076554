/** File pickers for the documents a step attaches, uploaded with progress before the step is submitted. */
import { type ReactElement, useCallback, useId, useRef, useState } from 'react';
import { uploadDocument } from '../api/client';
import type { DocumentRef, DocumentType, Grade } from '../api/types';
import { docLabel, formatBytes } from '../lib/format';

export const MAX_DOCUMENT_BYTES = 1024 * 1024 * 1024;
export const ACCEPT = '.pdf,.png,.jpg,.jpeg,.tif,.tiff,.txt,.xml,.json,application/pdf,image/*';

export interface DocFacts {
  quantityKg?: number;
  grade?: Grade;
}

interface Slot {
  file?: File;
  progress?: number;
  error?: string;
  uploaded?: { file: File; result: Uploaded };
}

export function validateFile(file: File | undefined, label: string): string | undefined {
  if (!file) return `Attach the ${label}`;
  if (file.size === 0) return `${label}: the file is empty`;
  if (file.size > MAX_DOCUMENT_BYTES) return `${label}: the file exceeds 1 GiB`;
  return undefined;
}

/** One chosen file after upload: its reference for a step body, and whether the gateway already attached it. */
export interface Uploaded {
  ref: DocumentRef;
  attached: boolean;
  txId?: string;
}

export interface DocumentUploads {
  slots: Partial<Record<DocumentType, Slot>>;
  setFile: (type: DocumentType, file: File | undefined) => void;
  /** Field errors for missing/invalid files (required types only unless a file was chosen). */
  validate: (required: readonly DocumentType[]) => Partial<Record<DocumentType, string>>;
  /**
   * Uploads every chosen file (re-using finished uploads). Without `attachTo` the files go to POST /documents
   * and come back as references for the step's body; with it, to POST /exports/{id}/documents (the gateway
   * attaches exporter shipping documents on-chain at once, with their quantity/grade facts).
   */
  uploadAll: (attachTo?: string, facts?: Partial<Record<DocumentType, DocFacts>>) => Promise<Uploaded[]>;
  busy: boolean;
}

export function useDocumentUploads(): DocumentUploads {
  const [slots, setSlots] = useState<Partial<Record<DocumentType, Slot>>>({});
  const [busy, setBusy] = useState(false);
  const ref = useRef(slots);
  ref.current = slots;

  const patch = useCallback((type: DocumentType, p: Partial<Slot>) => {
    setSlots((s) => ({ ...s, [type]: { ...s[type], ...p } }));
  }, []);

  const setFile = useCallback(
    (type: DocumentType, file: File | undefined) =>
      patch(type, { file, progress: undefined, error: undefined, uploaded: undefined }),
    [patch],
  );

  const validate = useCallback((required: readonly DocumentType[]) => {
    const errors: Partial<Record<DocumentType, string>> = {};
    for (const type of required) {
      const e = validateFile(ref.current[type]?.file, docLabel(type));
      if (e) errors[type] = e;
    }
    for (const [type, slot] of Object.entries(ref.current) as [DocumentType, Slot][]) {
      if (slot.file && !required.includes(type)) {
        const e = validateFile(slot.file, docLabel(type));
        if (e) errors[type] = e;
      }
    }
    return errors;
  }, []);

  const uploadAll = useCallback(
    async (attachTo?: string, facts: Partial<Record<DocumentType, DocFacts>> = {}): Promise<Uploaded[]> => {
      setBusy(true);
      try {
        const out: Uploaded[] = [];
        for (const [type, slot] of Object.entries(ref.current) as [DocumentType, Slot][]) {
          const file = slot.file;
          if (!file) continue;
          const f = facts[type] ?? {};
          const withFacts = (r: DocumentRef): DocumentRef => ({
            ...r,
            ...(f.quantityKg !== undefined ? { quantityKg: f.quantityKg } : {}),
            ...(f.grade !== undefined ? { grade: f.grade } : {}),
          });
          if (slot.uploaded && slot.uploaded.file === file) {
            out.push({ ...slot.uploaded.result, ref: withFacts(slot.uploaded.result.ref) });
            continue;
          }
          patch(type, { progress: 0, error: undefined });
          try {
            const res = await uploadDocument(attachTo, type, file, (x) => patch(type, { progress: x }), f)
              .promise;
            const result: Uploaded = {
              ref: { type, cid: res.cid },
              attached: res.attached === true,
              ...(res.txId ? { txId: res.txId } : {}),
            };
            patch(type, { progress: 1, uploaded: { file, result } });
            out.push({ ...result, ref: withFacts(result.ref) });
          } catch (e: unknown) {
            patch(type, { error: e instanceof Error ? e.message : 'upload failed', progress: undefined });
            throw e;
          }
        }
        return out;
      } finally {
        setBusy(false);
      }
    },
    [patch],
  );

  return { slots, setFile, validate, uploadAll, busy };
}

interface PickerProps {
  type: DocumentType;
  uploads: DocumentUploads;
  required?: boolean;
  error?: string;
}

export function DocumentPicker({ type, uploads, required, error }: PickerProps): ReactElement {
  const id = useId();
  const slot = uploads.slots[type];
  const label = docLabel(type);
  const progress = slot?.progress;
  return (
    <div className={`field file-field${error || slot?.error ? ' field-invalid' : ''}`}>
      <div className="label-row">
        <label htmlFor={id}>{label}</label>
        {required && (
          <span className="req" aria-hidden="true">
            *
          </span>
        )}
      </div>
      <input
        id={id}
        type="file"
        name={type}
        accept={ACCEPT}
        aria-invalid={error ? true : undefined}
        aria-describedby={error || slot?.error ? `${id}-err` : undefined}
        disabled={uploads.busy}
        onChange={(e) => uploads.setFile(type, e.target.files?.[0])}
      />
      {slot?.file && (
        <small className="hint">
          {slot.file.name} · {formatBytes(slot.file.size)}
          {slot.uploaded?.file === slot.file && ' · uploaded'}
        </small>
      )}
      {progress !== undefined && (
        <div className="progress-row">
          <progress max={100} value={Math.round(progress * 100)} aria-label={`Uploading ${label}`} />
          <span aria-live="polite">{Math.round(progress * 100)}%</span>
        </div>
      )}
      {(error ?? slot?.error) && (
        <small id={`${id}-err`} className="error">
          {error ?? slot?.error}
        </small>
      )}
    </div>
  );
}

/** Progress of the uploads in flight (for steps that no longer show the pickers). */
export function UploadProgress({ uploads }: { uploads: DocumentUploads }): ReactElement | null {
  const active = (Object.entries(uploads.slots) as [DocumentType, Slot][]).filter(
    ([, s]) => s.progress !== undefined || s.error,
  );
  if (active.length === 0) return null;
  return (
    <ul className="upload-progress" aria-label="Uploads">
      {active.map(([type, s]) => (
        <li key={type}>
          <span>{docLabel(type)}</span>
          {s.progress !== undefined && (
            <span className="progress-row">
              <progress
                max={100}
                value={Math.round(s.progress * 100)}
                aria-label={`Uploading ${docLabel(type)}`}
              />
              <span aria-live="polite">{Math.round(s.progress * 100)}%</span>
            </span>
          )}
          {s.error && <small className="error">{s.error}</small>}
        </li>
      ))}
    </ul>
  );
}
