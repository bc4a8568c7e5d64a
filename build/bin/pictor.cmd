@echo off
rem `pictor` inside an installed Pictor (resources\bin): runs the CLI in the app binary (see app-entry.js).
"%~dp0..\..\Pictor.exe" --pictor-cli -- %*
