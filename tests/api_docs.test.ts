/**
 * Every exported symbol of the four packages has a doc comment, and so does every public method
 * of an exported class or interface (an `override` may inherit its base's). The same rule as
 * `npm run docs` (TypeDoc's validation.notDocumented, typedoc.json), read here with the TypeScript
 * compiler's own view of each package's exports, in a few seconds instead of a full TypeDoc run.
 */
import * as path from 'path';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '..');
const PACKAGES = ['tensor', 'autograd', 'datasets', 'layers'];

/** `name (file:line)` for each exported symbol or public method of `pkg` without a doc comment. */
function undocumented(program: ts.Program, pkg: string): string[] {
  const checker = program.getTypeChecker();
  // the Node entry where there is one: it exports everything of the platform-neutral index.ts and more
  const entry = ['node.ts', 'index.ts'].map((f) => path.join(root, 'packages', pkg, 'src', f)).find((f) => program.getSourceFile(f));
  const index = entry === undefined ? undefined : program.getSourceFile(entry);
  if (!index) throw new Error(`no index.ts for ${pkg}`);
  const moduleSymbol = checker.getSymbolAtLocation(index);
  if (!moduleSymbol) throw new Error(`${pkg}/src/index.ts is not a module`);
  const missing: string[] = [];
  const where = (d: ts.Declaration) => {
    const file = d.getSourceFile();
    const line = file.getLineAndCharacterOfPosition(d.getStart()).line + 1;
    return `${path.relative(root, file.fileName)}:${line}`;
  };
  const documented = (s: ts.Symbol) => s.getDocumentationComment(checker).length > 0;
  // a method that implements or overrides a documented one of its direct base shows that documentation (as TypeDoc does)
  const inherited = (decl: ts.ClassDeclaration | ts.InterfaceDeclaration, name: string): boolean =>
    (decl.heritageClauses ?? []).some((h) =>
      h.types.some((t) => {
        const type = checker.getTypeAtLocation(t);
        const base = type.getProperty(name);
        if (base !== undefined && documented(base)) return true;
      }),
    );
  const visit = (symbol: ts.Symbol, name: string) => {
    const resolved = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const decl = resolved.declarations?.[0];
    if (!decl) return;
    if (ts.isSourceFile(decl) || ts.isModuleDeclaration(decl)) {
      // `export * as mnist from './mnist'`: the namespace needs a file comment; its members are checked too
      for (const member of checker.getExportsOfModule(resolved)) visit(member, `${name}.${member.name}`);
      return;
    }
    if (!documented(resolved)) missing.push(`${name} (${where(decl)})`);
    if (ts.isClassDeclaration(decl) || ts.isInterfaceDeclaration(decl)) {
      for (const member of decl.members) {
        // methods, and properties holding a function (TypeDoc lists both as callable members)
        const callable =
          ts.isMethodDeclaration(member) || ts.isMethodSignature(member) || ((ts.isPropertyDeclaration(member) || ts.isPropertySignature(member)) && member.type !== undefined && ts.isFunctionTypeNode(member.type));
        if (!callable || !member.name) continue;
        const mods = ts.canHaveModifiers(member) ? ts.getModifiers(member) ?? [] : [];
        if (mods.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword || m.kind === ts.SyntaxKind.OverrideKeyword)) continue;
        if (ts.isPrivateIdentifier(member.name)) continue;
        const sym = checker.getSymbolAtLocation(member.name);
        if (sym && !documented(sym) && !inherited(decl, sym.name)) missing.push(`${name}.${member.name.getText()} (${where(member)})`);
      }
    }
  };
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) visit(symbol, symbol.name);
  return [...new Set(missing)].sort();
}

describe('API docs', () => {
  const program = ts.createProgram(
    PACKAGES.flatMap((p) => ['node.ts', 'index.ts'].map((f) => path.join(root, 'packages', p, 'src', f))).filter((f) => ts.sys.fileExists(f)),
    {
      noEmit: true,
      skipLibCheck: true,
      types: [],
      baseUrl: root,
      paths: { '@seqlab/*': ['packages/*/src'] },
      target: ts.ScriptTarget.ES2021,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
    },
  );

  test.each(PACKAGES)('@seqlab/%s: every export and public method has a doc comment', (pkg) => {
    expect(undocumented(program, pkg)).toEqual([]);
  });
});
