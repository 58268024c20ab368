#!/usr/bin/env node
// The Node that runs the tests and the build must be the major Lambda runs: template.yaml's
// runtime when the template exists, else the one package.json pins through the `node` package.
import { existsSync, readFileSync } from 'node:fs';

const running = Number(process.versions.node.split('.')[0]);
const pinned = Number(
  JSON.parse(readFileSync('package.json', 'utf8')).devDependencies.node.replace(/^\D*/, '').split('.')[0],
);
let expected = pinned;
if (existsSync('template.yaml')) {
  const match = readFileSync('template.yaml', 'utf8').match(/Runtime:\s*nodejs(\d+)\.x/);
  if (!match) {
    console.error('template.yaml names no nodejsNN.x runtime');
    process.exit(1);
  }
  expected = Number(match[1]);
  if (expected !== pinned) {
    console.error(`template.yaml runs nodejs${expected}.x but package.json pins node ${pinned}`);
    process.exit(1);
  }
}
if (running !== expected) {
  console.error(`tests run on Node ${running}, Lambda on nodejs${expected}.x`);
  process.exit(1);
}
console.log(`Node ${process.versions.node}, Lambda runtime nodejs${expected}.x`);
