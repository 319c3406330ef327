// Light, dark, or the system's choice. Stored in localStorage; app.html applies it before the
// first paint so a reload never flashes the wrong theme.
export type ThemeChoice = 'system' | 'light' | 'dark';

class Theme {
  choice = $state<ThemeChoice>('system');

  init(): void {
    try {
      const t = localStorage.getItem('theme');
      this.choice = t === 'light' || t === 'dark' ? t : 'system';
    } catch {
      this.choice = 'system';
    }
  }

  /** The theme in effect now (resolving "system"). */
  effective(): 'light' | 'dark' {
    if (this.choice !== 'system') return this.choice;
    return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    try {
      if (choice === 'system') localStorage.removeItem('theme');
      else localStorage.setItem('theme', choice);
    } catch {
      // private mode: the choice lasts for this page only
    }
    if (choice === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = choice;
  }

  toggle(): void {
    this.set(this.effective() === 'dark' ? 'light' : 'dark');
  }
}

export const theme = new Theme();
