import axios from 'axios'; globalThis.x = axios;
