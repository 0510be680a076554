/**
 * Calls `onChange` (at most once per `debounceMs`) when a live export event the page cares about arrives, or when
 * events may have been missed (a reconnection too far behind). `relevant` decides from the event alone.
 */
import { useEffect, useRef } from 'react';
import { type LiveEvent, subscribeExportEvents } from '../api/events';

export function useExportEvents(
  enabled: boolean,
  relevant: (e: LiveEvent) => boolean,
  onChange: () => void,
  debounceMs = 250,
): void {
  // The latest callbacks, without resubscribing on every render.
  const latest = useRef({ relevant, onChange });
  latest.current = { relevant, onChange };
  useEffect(() => {
    if (!enabled) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const fire = (): void => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        latest.current.onChange();
      }, debounceMs);
    };
    const unsubscribe = subscribeExportEvents({
      onEvent: (e) => {
        if (latest.current.relevant(e)) fire();
      },
      onReset: fire,
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [enabled, debounceMs]);
}
