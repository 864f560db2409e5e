import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as ts from 'typescript';

/** One page of the portal as the router declares it. */
export interface PortalPage {
  /** Full path with parameters, e.g. `/projects/:projectId`. */
  path: string;
  /** The route's `title` (the document title once the page is shown). */
  title: string | undefined;
}

const ROUTES_FILE = join(__dirname, '..', 'src', 'app', 'app.routes.ts');

/**
 * Every page of the portal, read from its router configuration (app.routes.ts) rather than listed
 * by hand, so a page added there is covered by the browser tests without touching them. The file
 * is Angular (ESM) code jest cannot load, so its `appRoutes` array is read with the TypeScript
 * parser: leaves with a component, joined with their parents' paths; redirects and `**` skipped.
 */
export function portalPages(file = ROUTES_FILE): PortalPage[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  let routes: ts.ArrayLiteralExpression | undefined;
  source.forEachChild(function find(node) {
    if (
      ts.isVariableDeclaration(node) &&
      node.name.getText() === 'appRoutes' &&
      node.initializer &&
      ts.isArrayLiteralExpression(node.initializer)
    ) {
      routes = node.initializer;
    }
    node.forEachChild(find);
  });
  if (!routes) throw new Error(`No appRoutes array in ${file}`);
  const pages: PortalPage[] = [];
  collect(routes, '', pages);
  if (pages.length === 0) throw new Error(`No pages found in ${file}`);
  return pages;
}

function collect(routes: ts.ArrayLiteralExpression, parent: string, pages: PortalPage[]): void {
  for (const element of routes.elements) {
    if (!ts.isObjectLiteralExpression(element)) throw new Error(`Unreadable route: ${element.getText()}`);
    const property = (name: string) =>
      element.properties.find(
        (candidate): candidate is ts.PropertyAssignment =>
          ts.isPropertyAssignment(candidate) && candidate.name.getText() === name,
      )?.initializer;
    const text = (name: string) => {
      const value = property(name);
      return value && ts.isStringLiteralLike(value) ? value.text : undefined;
    };
    const path = text('path') ?? '';
    if (path === '**' || property('redirectTo')) continue;
    const full = [parent, path].filter(Boolean).join('/');
    const children = property('children');
    if (children && ts.isArrayLiteralExpression(children)) {
      collect(children, full, pages);
      continue;
    }
    if (property('component') || property('loadComponent'))
      pages.push({ path: `/${full}`, title: text('title') });
  }
}

/** The page's URL with each `:param` replaced by a sample; a parameter without one is an error. */
export function pageUrl(page: PortalPage, samples: Readonly<Record<string, string>>): string {
  return page.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = samples[name];
    if (value === undefined)
      throw new Error(`Portal page ${page.path} needs a sample :${name}; add one to the browser test`);
    return encodeURIComponent(value);
  });
}
