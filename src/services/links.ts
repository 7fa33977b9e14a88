/** Absolute links handed to customers (verification pages): PUBLIC_URL, or where the server listens. */
export class Links {
  private base: string;

  constructor(publicUrl: string | undefined) {
    this.base = (publicUrl ?? "").replace(/\/+$/, "");
  }

  /** Called once the server listens, unless PUBLIC_URL was configured. */
  listeningAt(origin: string): void {
    if (!this.base) this.base = origin.replace(/\/+$/, "");
  }

  to(path: string): string {
    return `${this.base}${path.startsWith("/") ? path : `/${path}`}`;
  }
}
