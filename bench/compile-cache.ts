/**
 * The compile cache: verl's SandboxFusion client posts one /run_code per test case with the same
 * program, so the second call of a C++ (or Rust, Java, Go) program should not compile again. For each
 * language, 5 programs that differ only in a comment, each run twice (a different stdin each time,
 * as verl's cases); the first call compiles, the second finds the cache. Calls go through `runCode`,
 * the /run_code route's handler, one at a time.
 *
 * Run: node bench/compile-cache.ts
 */
import { runCode } from '../src/protocol/sandbox-fusion.ts';
import { cpuPressure } from './machine.ts';

const PROGRAMS: Record<string, string> = {
  cpp: '#include <bits/stdc++.h>\nusing namespace std;\nint main(){long a,b;cin>>a>>b;vector<long> v{a,b};sort(v.begin(),v.end());cout<<v[0]+v[1]<<"\\n";}',
  rust: 'use std::io::Read;\nfn main(){let mut s=String::new();std::io::stdin().read_to_string(&mut s).unwrap();let v:Vec<i64>=s.split_whitespace().map(|x|x.parse().unwrap()).collect();println!("{}",v[0]+v[1]);}',
  java: 'import java.util.*;\npublic class Main{public static void main(String[] x){Scanner s=new Scanner(System.in);System.out.println(s.nextLong()+s.nextLong());}}',
  go: 'package main\nimport "fmt"\nfunc main(){var a,b int64;fmt.Scan(&a,&b);fmt.Println(a+b)}',
};
const PROGRAMS_PER_LANGUAGE = 5;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

console.log(`cpu pressure before: ${cpuPressure()}`);
for (const [language, code] of Object.entries(PROGRAMS)) {
  const first: number[] = [];
  const second: number[] = [];
  for (let i = 0; i < PROGRAMS_PER_LANGUAGE; i++) {
    const program = `${code}\n${language === 'cpp' || language === 'rust' || language === 'java' || language === 'go' ? '//' : '#'} ${process.pid} ${i}\n`;
    for (const [times, stdin] of [[first, '1 2\n'], [second, '3 4\n']] as const) {
      const started = performance.now();
      const answer = await runCode({ code: program, language, stdin, compile_timeout: 60, run_timeout: 10 });
      times.push(performance.now() - started);
      if (answer.status !== 'Success') throw new Error(`${language}: ${answer.status} ${answer.message} ${answer.compile_result?.stderr ?? ''}`);
    }
  }
  const [f, s] = [median(first), median(second)];
  console.log(`${language}: first call (compiles) ${f.toFixed(0)} ms, second call (cached) ${s.toFixed(0)} ms, ratio ${(s / f).toFixed(2)} (medians of ${PROGRAMS_PER_LANGUAGE})`);
}
console.log(`cpu pressure after: ${cpuPressure()}`);
