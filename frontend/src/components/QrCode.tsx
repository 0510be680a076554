/** A QR code image for a URL (rendered locally by the qrcode package, no external service). */
import { type ReactElement, useEffect, useState } from 'react';
import QRCode from 'qrcode';

export function QrCode({
  value,
  label,
  size = 180,
}: {
  value: string;
  label: string;
  size?: number;
}): ReactElement {
  const [src, setSrc] = useState<string>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(value, { width: size, margin: 1, errorCorrectionLevel: 'M' }).then(
      (url) => live && setSrc(url),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [value, size]);
  if (failed) return <p className="muted">QR code unavailable.</p>;
  return src ? (
    <img className="qr" src={src} width={size} height={size} alt={label} data-testid="qr" />
  ) : (
    <span className="qr-placeholder" style={{ width: size, height: size }} />
  );
}
