/**
 * The one markdown-it configuration used for slides and lab pages. All markdown goes through markdown-it and its
 * plugins: markdown-it-attrs for `{#id .class}`, markdown-it-container for `::: name` directives, highlight.js for code.
 */
import hljs from 'highlight.js';
import MarkdownIt, { type PluginWithOptions, type PluginWithParams, type RendererRule } from 'markdown-it';
import attrs from 'markdown-it-attrs';
import container from 'markdown-it-container';

/** The `::: name` directives the deck understands; anything else is warned about and rendered as a plain box. */
export const DIRECTIVES: Record<string, { className: string; help: string }> = {
  notes: { className: 'notes', help: 'speaker notes: shown in the speaker view (S) and to learners (N), never on the slide' },
  columns: { className: 'columns', help: 'side-by-side columns; put each in `::: column` and open the outer one with `::::`' },
  column: { className: 'column', help: 'one column inside `:::: columns`' },
  callout: { className: 'callout', help: 'a highlighted box for the one thing to remember' },
  lab: { className: 'lab-card', help: 'the "to the lab" card: lab number, goal, first command, link' },
  small: { className: 'small', help: 'smaller print: sources, footnotes' },
};

/** The token type markdown-it-container gives our catch-all container. */
export const DIRECTIVE_OPEN = 'container_directive_open';
export const DIRECTIVE_CLOSE = 'container_directive_close';

/** `::: name rest` → name. */
export function directiveName(info: string): string {
  return info.trim().split(/\s+/)[0] ?? '';
}

export interface MarkdownHooks {
  /** markdown-it-attrs reports a malformed `{...}`; the caller knows which file is being parsed. */
  onAttrsError?: (error: Error) => void;
}

export function createMarkdown(hooks: MarkdownHooks = {}): MarkdownIt {
  const md: MarkdownIt = new MarkdownIt({
    // Raw HTML is off: a stray tag could break the layout of every slide after it, and images must go through
    // the renderer's checks (no fetching from the internet). Everything the deck needs is expressible in markdown.
    html: false,
    linkify: true,
    typographer: true,
    highlight(code, lang) {
      const language = lang && hljs.getLanguage(lang) ? lang : undefined;
      const body = language ? hljs.highlight(code, { language, ignoreIllegals: true }).value : md.utils.escapeHtml(code);
      return `<pre class="hljs"><code${language ? ` class="language-${md.utils.escapeHtml(language)}"` : ''}>${body}</code></pre>`;
    },
  });
  // The plugins' bundled typings describe markdown-it's CommonJS build; at runtime they are the same object.
  md.use(attrs as unknown as PluginWithOptions<attrs.Options>, {
    allowedAttributes: ['id', 'class', 'style', 'title', 'width', 'height', 'colspan', 'rowspan', /^data-/],
    errorHandler: (error: Error) => hooks.onAttrsError?.(error),
  });
  // One catch-all container: a known directive is styled, an unknown one is reported with its file:line by the deck
  // builder instead of silently turning into a paragraph of colons.
  const renderDirective: RendererRule = (tokens, idx, options, _env, self) => {
    const token = tokens[idx]!;
    if (token.nesting === 1 && !token.attrGet('class')) {
      const name = directiveName(token.info);
      token.attrJoin('class', DIRECTIVES[name]?.className ?? 'directive directive-unknown');
    }
    return self.renderToken(tokens, idx, options);
  };
  md.use(container as unknown as PluginWithParams, 'directive', {
    validate: (params: string) => /^[A-Za-z][\w-]*/.test(params.trim()),
    render: renderDirective,
  });
  return md;
}

/** Whether a fenced code block's language is one highlight.js knows (empty = plain text, also fine). */
export function knownLanguage(lang: string): boolean {
  return lang === '' || hljs.getLanguage(lang) !== undefined;
}

/** The highlight.js theme, as CSS text (github, BSD-3-Clause, ships with highlight.js). */
export const HIGHLIGHT_THEME = 'highlight.js/styles/github.css';
