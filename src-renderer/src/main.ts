import { mount } from 'svelte'
import './app.css'
import App from './App.svelte'
import { createClient } from './lib/api/client'
import { connectToMain } from './lib/api/connect'
import { AppState } from './lib/state/app-state.svelte'

const state = new AppState(createClient(connectToMain()))
mount(App, { target: document.getElementById('app')!, props: { app: state } })
void state.start()
