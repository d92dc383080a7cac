import { Command, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import { relative, resolve } from 'node:path';
import { parseDuration } from '../../compose/duration.js';
import type { RuntimeKind } from '../../runtimes/runtime.js';
import { pickRuntime } from '../../runtimes/registry.js';
import { onInterrupt } from '../../labs/interrupt.js';
import { tolerateStrayRejections } from '../../labs/cli-support.js';
import { gradeClass, prepareGrading, type GradeEvent, type GradeOptions } from '../../grading/grade-class.js';
import { addSimilarity, writeGradeOutputs } from '../../grading/grade-outputs.js';
import type { StudentGrade } from '../../grading/grade-report.js';
import { color, printJson } from '../output.js';
import { parseRuntime } from '../arguments.js';

const DEFAULT_BUDGET = '15m';

export function registerGrade(program: Command): void {
  program
    .command('grade')
    .description("grade a class: every student's services/ checked with YOUR labs' checks, contained, with a gradebook and feedback pages")
    .argument('<roster>', 'a CSV file (id,name,repository: a local path or a git URL) or a folder with one clone per student')
    .option('--labs <labs>', 'which labs, e.g. 00-03 or 01,03 (default: every lab with checks)')
    .option('--deadline <time>', 'grade the last commit at or before this time (ISO 8601, e.g. 2026-12-01T23:59+01:00)', parseDeadline)
    .option('--late-penalty <fraction>', 'grade late commits too, with this share of the points off (e.g. 20%)', parsePenalty)
    .option('--runtime <kind>', 'process | docker (default: docker when an engine answers)', parseRuntime)
    .option('-j, --jobs <n>', 'submissions graded side by side', parseJobs, 1)
    .option('--out <dir>', 'where grades, feedback and the gradebook go', 'grades')
    .option('--extra-checks <dir>', 'hidden checks: <dir>/<lab id>-<slug>/checks.ts, run after the public ones')
    .option('--show-hidden-messages', "tell students why a hidden check failed (default: only \"hidden check N failed\")")
    .option('--budget <duration>', 'time limit per submission', DEFAULT_BUDGET)
    .option('--force', 'grade again even what an earlier run graded at the same commit')
    .option('--no-sandbox', 'run student processes unwrapped (only for code you trust; containers are still hardened)')
    .option('--kit <dir>', 'the kit whose labs, checks and solutions grade (default: the kit this tall belongs to; never the students\')')
    .option('--json', 'print the report as JSON (schema tall-grade/1; README.md, "Grading a class")')
    .action(async (roster: string, options: { kit?: string; labs?: string; deadline?: Date; latePenalty?: number; runtime?: RuntimeKind; jobs: number; out: string; extraChecks?: string; showHiddenMessages?: boolean; budget: string; force?: boolean; sandbox: boolean; json?: boolean }) => {
      const gradeOptions: GradeOptions = {
        kitRoot: options.kit,
        roster,
        labs: options.labs,
        deadline: options.deadline,
        latePenalty: options.latePenalty,
        runtime: await pickRuntime(options.runtime),
        jobs: options.jobs,
        outDir: resolve(options.out),
        extraChecks: options.extraChecks,
        showHiddenMessages: Boolean(options.showHiddenMessages),
        budgetMs: parseDuration(options.budget, parseDuration(DEFAULT_BUDGET, 0)),
        force: Boolean(options.force),
        sandbox: options.sandbox,
      };
      const prepared = await prepareGrading(gradeOptions);
      tolerateStrayRejections();
      const stop = new AbortController();
      const release = onInterrupt(() => stop.abort(), false);
      const progress = new ClassProgress();
      let report;
      try {
        report = await gradeClass(gradeOptions, prepared, (event) => progress.on(event), stop.signal);
      } finally {
        progress.stop();
        release();
      }
      if (stop.signal.aborted) {
        console.error(`interrupted: ${report.students.length} of ${prepared.roster.length} graded and kept; run the same command again to grade the rest`);
        process.exitCode = 130;
        return;
      }
      await addSimilarity(report, prepared.plan.manifest, prepared.plan.labs, prepared.plan.submissionsDir);
      const outputs = writeGradeOutputs(report, gradeOptions.outDir);
      if (options.json) return printJson(report);
      const shown = (path: string) => relative(process.cwd(), path) || path;
      console.log(`\n${color.bold('graded')} ${report.students.length} students, labs ${report.options.labs.join(', ')} (${report.options.runtime} runtime, contained: ${report.options.containment})`);
      if (report.similarity.length > 0) console.log(color.yellow(`${report.similarity.length} similarity finding(s): see the overview`));
      console.log(`  overview     ${shown(outputs.overview)}   (open it in a browser)`);
      console.log(`  gradebook    ${shown(outputs.gradebook)}   (import into a spreadsheet or your LMS)`);
      console.log(`  feedback     ${shown(outputs.feedbackDir)}/<student>.html and .md   (send each student theirs)`);
      console.log(`  everything   ${shown(outputs.json)}   (tall-grade/1)`);
    });
}

/** A bar with an ETA where there is a terminal; a line per student where there is not (CI logs, a file). */
class ClassProgress {
  private bar?: SingleBar;
  private running = new Map<string, string>();
  private done = 0;

  on(event: GradeEvent): void {
    switch (event.type) {
      case 'planned':
        console.error(`grading ${event.students} students, labs ${event.labs.join(', ')}; student code contained by: ${event.containment}`);
        if (process.stderr.isTTY) {
          this.bar = new SingleBar({ format: 'grading [{bar}] {value}/{total} students | ETA {eta_formatted} | {now}', stream: process.stderr, hideCursor: true, etaBuffer: 8 });
          this.bar.start(event.students, 0, { now: '' });
        }
        return;
      case 'student-started':
        this.running.set(event.id, 'starting');
        return this.refresh();
      case 'student-progress':
        this.running.set(event.progress.student, `lab ${event.progress.lab}`);
        return this.refresh();
      case 'student-finished':
        this.running.delete(event.grade.id);
        this.done += 1;
        if (this.bar) {
          // Above the bar: clear its line, print, and let the update draw it again.
          process.stderr.write(`\r\u001b[K${describe(event.grade, event.reused)}\n`);
          this.bar.update(this.done, { now: this.now() });
        } else {
          console.error(describe(event.grade, event.reused));
        }
    }
  }

  stop(): void {
    this.bar?.stop();
  }

  private refresh(): void {
    this.bar?.update(this.done, { now: this.now() });
  }

  private now(): string {
    return [...this.running].map(([id, what]) => `${id}: ${what}`).join(', ').slice(0, 60);
  }
}

function describe(grade: StudentGrade, reused: boolean): string {
  const points = `${grade.points.total}/${grade.points.possible}`;
  const mark = grade.verdict === 'graded' ? color.green('✔') : color.red('✘');
  const why = grade.verdict === 'graded' ? '' : ` ${grade.verdict}: ${grade.reasons[0] ?? ''}`;
  return `${mark} ${grade.id}  ${points}${grade.late ? ' (late)' : ''}${reused ? color.dim(' (kept from the last run: same commit)') : ''}${why}`;
}

function parseDeadline(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('not a time; write it as ISO 8601, e.g. 2026-12-01T23:59:00+01:00');
  return date;
}

function parsePenalty(value: string): number {
  const fraction = value.endsWith('%') ? Number(value.slice(0, -1)) / 100 : Number(value);
  if (!Number.isFinite(fraction) || fraction < 0 || fraction > 1) throw new InvalidArgumentError('a share of the points between 0 and 1, or a percentage: 0.2 or 20%');
  return fraction;
}

function parseJobs(value: string): number {
  const jobs = Number(value);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 32) throw new InvalidArgumentError('a whole number from 1 to 32');
  return jobs;
}
